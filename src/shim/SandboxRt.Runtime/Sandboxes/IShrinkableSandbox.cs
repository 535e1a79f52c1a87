namespace SandboxRt.Runtime.Sandboxes;

/// <summary>
/// A sandbox whose VM gives back hot-plugged vCPUs and memory when its pod needs less (a container with
/// limits left, or its limits were lowered): the other half of <see cref="Core.IGuestSandbox.GrowAsync"/>.
/// <see cref="Sandbox"/> is the real one; the unit tests' fake records the sizes asked for.
/// </summary>
public interface IShrinkableSandbox
{
    /// <summary>
    /// Unplugs what the VM has beyond <paramref name="target"/> where the guest lets it go; never below the
    /// boot size. A device the guest keeps is logged as a warning and stays counted in the size (a later
    /// growth reuses it): only a hypervisor that cannot be asked at all fails this.
    /// </summary>
    Task ShrinkAsync(VmSize target, CancellationToken cancellationToken = default);
}
