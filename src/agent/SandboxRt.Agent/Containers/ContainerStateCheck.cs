namespace SandboxRt.Agent.Containers;

/// <summary>Rejects a verb in the wrong state with a message naming both, as containerd's init states do.</summary>
internal static class ContainerStateCheck
{
    public static void Require(string verb, string id, ContainerStatus actual, params ContainerStatus[] allowed)
    {
        if (!allowed.Contains(actual))
            throw new InvalidOperationException($"cannot {verb} container {id} in {actual.ToString().ToLowerInvariant()} state");
    }
}
