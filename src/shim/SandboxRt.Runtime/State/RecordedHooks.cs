using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;

namespace SandboxRt.Runtime.State;

/// <summary>
/// The spec's poststart and poststop hooks as create read them, kept in the container's record. runc
/// keeps the config it created a container from in its state and runs those hooks, whatever the bundle
/// holds by then; so do `start` and `delete` here. They then need not read and parse config.json again,
/// which cost each about 15 ms of CPU (docs/benchmarks.md, "CLI start-up").
/// </summary>
public sealed class RecordedHooks
{
    public List<Hook>? Poststart { get; set; }
    public List<Hook>? Poststop { get; set; }

    public static RecordedHooks Of(Oci.Spec.Hooks? hooks) => new()
    {
        Poststart = hooks?.Poststart is { Count: > 0 } poststart ? poststart : null,
        Poststop = hooks?.Poststop is { Count: > 0 } poststop ? poststop : null,
    };

    /// <summary>The record's poststart hooks; from the bundle for a record written before records kept them.</summary>
    public static List<Hook>? PoststartOf(ContainerRecord record) =>
        record.Hooks is { } hooks ? hooks.Poststart : BundleHooks(record)?.Poststart;

    /// <summary>The record's poststop hooks; from the bundle for a record written before records kept them.</summary>
    /// <exception cref="SpecValidationException">The record has none of its own and the bundle is gone or unreadable.</exception>
    public static List<Hook>? PoststopOf(ContainerRecord record) =>
        record.Hooks is { } hooks ? hooks.Poststop : BundleHooks(record)?.Poststop;

    /// <summary>
    /// The hooks of the record's bundle. A record with no bundle (a VM cache entry's) has none: its empty
    /// path would otherwise name a config.json in the caller's working directory.
    /// </summary>
    private static Oci.Spec.Hooks? BundleHooks(ContainerRecord record) =>
        record.Bundle.Length == 0 ? null : SpecLoader.LoadBundle(record.Bundle).Hooks;
}
