using SandboxRt.Oci.Spec;

namespace SandboxRt.Runtime.Relay;

/// <summary>
/// What a container that took a cached VM before its prestart hooks ended still waits for (ContainerHost):
/// the hooks, which put the network namespace's interfaces in place, and then the NICs the VM cache entry
/// plugs for them (<see cref="Attach"/>). Its creation in the guest runs beside the hooks when nothing in
/// the spec needs the network or the hooks first (<see cref="CanCreateBefore"/>).
/// </summary>
internal sealed class PendingNetwork(Task prestart, Func<CancellationToken, Task> attach)
{
    /// <summary>The prestart hooks' end, then the NICs.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        await prestart;
        await attach(cancellationToken);
    }

    /// <summary>After a failure elsewhere: the hooks are let finish (a failed create leaves no hook running), their own failure being the lesser news.</summary>
    public Task SettleAsync() => SettleAsync(prestart);

    /// <summary><see cref="SettleAsync()"/> for prestart hooks no claim came with.</summary>
    public static async Task SettleAsync(Task prestart)
    {
        try
        {
            await prestart;
        }
        catch (Exception)
        {
            // the create's own error is the one reported
        }
    }

    /// <summary>
    /// Whether the container can be created in the guest before the prestart hooks end and the NICs are
    /// plugged: the spec has no createRuntime or createContainer hooks (the runtime spec orders both after
    /// prestart), and no sysctl names an interface (the container's init sets sysctls, and
    /// net.ipv4.conf.eth0.* needs eth0 there).
    /// </summary>
    public static bool CanCreateBefore(Spec spec) =>
        spec.Hooks?.CreateRuntime is not { Count: > 0 } && spec.Hooks?.CreateContainer is not { Count: > 0 }
        && !(spec.Linux?.Sysctl?.Keys.Any(NamesInterface) ?? false);

    /// <summary>net.ipv4.conf.IF.*, net.ipv6.neigh.IF.* and the like, IF being neither "all" nor "default".</summary>
    private static bool NamesInterface(string sysctl)
    {
        var parts = sysctl.Replace('/', '.').Split('.');
        return parts.Length >= 4 && parts[0] == "net" && parts[2] is "conf" or "neigh" && parts[3] is not ("all" or "default");
    }
}
