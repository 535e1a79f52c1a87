using SandboxRt.Seccomp;

namespace SandboxRt.Agent.Init.Syscalls;

/// <summary>The process's last attributes and the exec: setrlimit(2), umask(2), signal dispositions, no_new_privs, seccomp(2), execve(2).</summary>
internal interface IProcessSyscalls
{
    void SetResourceLimit(int resource, ulong soft, ulong hard, string name);

    /// <returns>The previous mask.</returns>
    uint SetUmask(uint mask);

    void RestoreDefaultSignals();

    void SetNoNewPrivileges();

    void InstallSeccomp(SeccompProgram program);

    /// <summary>execve(2): returns only in a fake; the real one replaces the process or throws.</summary>
    void Execute(string path, IReadOnlyList<string> arguments, IReadOnlyList<string> environment);
}
