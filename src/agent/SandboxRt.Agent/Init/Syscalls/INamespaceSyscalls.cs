namespace SandboxRt.Agent.Init.Syscalls;

/// <summary>What init sets up in its namespaces: unshare(2), a network device up, sethostname(2), setdomainname(2).</summary>
internal interface INamespaceSyscalls
{
    /// <param name="what">The namespace's name, for the error.</param>
    void Unshare(int flags, string what);

    void BringUpDevice(string name);

    void SetHostname(string name);

    void SetDomainname(string name);
}
