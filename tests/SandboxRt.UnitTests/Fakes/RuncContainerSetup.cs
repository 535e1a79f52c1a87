using SandboxRt.Runtime.State;

namespace SandboxRt.UnitTests.Fakes;

/// <summary>
/// What a unit test of the runc CLI's container flows (ContainerHost, the create relay, `run`) starts
/// from: a bundle with a busybox-like config.json and an empty rootfs, a state store in a scratch
/// directory, a <see cref="FakeHostSandbox"/> to start, and a logger that keeps what was logged.
/// </summary>
internal sealed class RuncContainerSetup : IDisposable
{
    public const string Id = "c1";

    /// <summary>How long a test waits for something the flow must do: a hang detector, not a wait.</summary>
    public static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _bundle = new();

    public RuncContainerSetup()
    {
        Directory.CreateDirectory(Path.Combine(_bundle.Path, "rootfs"));
        WriteConfig("");
        Store = new StateStore(Path.Combine(Scratch.Path, "state"));
    }

    public TempDirectory Scratch { get; } = new();
    public string Bundle => _bundle.Path;
    public StateStore Store { get; }
    public FakeHostSandbox Sandbox { get; } = new();
    public RecordingLogger Log { get; } = new();

    /// <summary>The bundle's config.json, with <paramref name="more"/> (",\"hooks\":...") after its root.</summary>
    public void WriteConfig(string more) => _bundle.File("config.json",
        $$"""{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"}{{more}}}""");

    /// <summary>The record `sandboxrt create` writes before it starts the relay.</summary>
    public ContainerRecord SaveCreatingRecord()
    {
        var record = new ContainerRecord { Id = Id, Bundle = Bundle, Status = ContainerStatus.Creating };
        Store.Save(record);
        return record;
    }

    public void Dispose()
    {
        Scratch.Dispose();
        _bundle.Dispose();
    }
}
