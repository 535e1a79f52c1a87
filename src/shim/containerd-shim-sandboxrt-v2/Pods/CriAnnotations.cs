namespace SandboxRt.Shim.Pods;

/// <summary>
/// How containerd's CRI plugin marks the containers of one pod. The sandbox (pause) container boots the
/// pod's VM; app containers name it by its id and join that VM. A container without these annotations
/// (a plain `ctr run`) is a pod of its own.
/// </summary>
internal static class CriAnnotations
{
    public const string ContainerType = "io.kubernetes.cri.container-type";
    public const string SandboxId = "io.kubernetes.cri.sandbox-id";
    public const string TypeSandbox = "sandbox";
    public const string TypeContainer = "container";

    /// <summary>The id of the pod a container belongs to: the shim (and VM) that serves it.</summary>
    public static string PodOf(string containerId, IReadOnlyDictionary<string, string>? annotations) =>
        IsAppContainer(annotations) && annotations!.TryGetValue(SandboxId, out var sandbox) && sandbox.Length > 0 ? sandbox : containerId;

    /// <summary>True for a CRI sandbox container: the pod's first, which boots its VM.</summary>
    public static bool IsSandbox(IReadOnlyDictionary<string, string>? annotations) =>
        annotations is not null && annotations.TryGetValue(ContainerType, out var type) && type == TypeSandbox;

    /// <summary>True for a CRI app container, which needs its pod's VM to exist already.</summary>
    public static bool IsAppContainer(IReadOnlyDictionary<string, string>? annotations) =>
        annotations is not null && annotations.TryGetValue(ContainerType, out var type) && type == TypeContainer;
}
