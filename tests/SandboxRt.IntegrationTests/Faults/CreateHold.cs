using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Faults;

/// <summary>
/// Holds a create in its createRuntime hook (the VM is up, the container not yet created in it): the hook
/// marks that create reached it, then waits until the test releases it. The fault matrix's create phase,
/// for the CLI and the shim alike.
/// </summary>
internal static class CreateHold
{
    /// <summary>Adds the holding hook to <paramref name="bundle"/>'s spec and saves it.</summary>
    public static void Install(TestBundle bundle)
    {
        var hook = bundle.WriteExecutable("hold.sh", $"#!/bin/sh\ntouch {bundle.Directory}/in-create\nwhile [ ! -e {bundle.Directory}/release ]; do sleep 0.05; done\n");
        bundle.Spec.Hooks = new SandboxRt.Oci.Spec.Hooks { CreateRuntime = [new SandboxRt.Oci.Spec.Hook { Path = hook }] };
        bundle.Save();
    }

    public static Task WaitReachedAsync(TestBundle bundle, TimeSpan bound) =>
        Condition.WaitAsync(() => File.Exists(Path.Combine(bundle.Directory, "in-create")), "the createRuntime hook to run", bound);

    /// <summary>Lets a hook still holding create go (idempotent).</summary>
    public static void Release(TestBundle bundle) => bundle.WriteFile("release", "");
}
