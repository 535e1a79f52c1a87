using System.Text.Json;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Lifecycle;

/// <summary>runc state and list: what the state store knows, with statuses brought up to date (VM cache entries are not containers: list leaves them out).</summary>
public static class QueryOperation
{
    public static RuncState State(LifecycleContext context, string id) => ToRunc(context.Refresh(id));

    public static IReadOnlyList<RuncState> List(LifecycleContext context) =>
        context.Store.Ids().Where(id => !VmCache.CliVmCache.IsEntryId(id)).Select(id =>
        {
            try
            {
                return ToRunc(context.Refresh(id));
            }
            catch (Exception e) when (e is ContainerNotFoundException or InvalidDataException)
            {
                return null;
            }
        }).OfType<RuncState>().ToList();

    public static string ToJson(RuncState state) => JsonSerializer.Serialize(state, LifecycleJsonContext.Default.RuncState);

    public static string ToJson(IReadOnlyList<RuncState> states) => JsonSerializer.Serialize(states.ToList(), LifecycleJsonContext.Default.ListRuncState);

    private static RuncState ToRunc(ContainerRecord r) => new()
    {
        Id = r.Id,
        Pid = r.Status == ContainerStatus.Stopped ? 0 : r.Relay?.Pid ?? 0,
        Status = r.Status.ToString().ToLowerInvariant(),
        Bundle = r.Bundle,
        Rootfs = r.Rootfs,
        Created = r.Created,
        Owner = "",
        Annotations = r.Annotations,
    };
}
