namespace SandboxRt.Runtime.State;

/// <summary>No container with this id under --root (runc's "container does not exist").</summary>
public sealed class ContainerNotFoundException(string id) : Exception($"container {id} does not exist")
{
    public string Id { get; } = id;
}
