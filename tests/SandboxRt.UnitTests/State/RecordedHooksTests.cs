using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.State;

namespace SandboxRt.UnitTests.State;

[Trait("Tier", "unit")]
public sealed class RecordedHooksTests
{
    [Fact]
    public void Only_poststart_and_poststop_are_kept_and_empty_lists_are_none()
    {
        var hooks = RecordedHooks.Of(new Hooks
        {
            Prestart = [new Hook { Path = "/pre" }], Poststart = [new Hook { Path = "/post", Args = ["/post", "a"] }], Poststop = [],
        });
        Assert.Equal("/post", Assert.Single(hooks.Poststart!).Path);
        Assert.Null(hooks.Poststop);
        Assert.Null(RecordedHooks.Of(null).Poststart);
    }

    [Fact]
    public void A_record_that_kept_its_hooks_never_reads_the_bundle()
    {
        var record = new ContainerRecord { Id = "c", Bundle = "/nonexistent-bundle", Hooks = RecordedHooks.Of(new Hooks { Poststop = [new Hook { Path = "/stop" }] }) };
        Assert.Null(RecordedHooks.PoststartOf(record));
        Assert.Equal("/stop", Assert.Single(RecordedHooks.PoststopOf(record)!).Path);
    }

    [Fact]
    public void A_record_with_no_bundle_has_no_hooks()
    {
        // a VM cache entry's record: "" must not be read as ./config.json
        var entry = new ContainerRecord { Id = "sandboxrt-vm-cache-0123456789ab", VmCacheKey = "k" };
        Assert.Null(RecordedHooks.PoststartOf(entry));
        Assert.Null(RecordedHooks.PoststopOf(entry));
    }

    [Fact]
    public void A_record_from_before_records_kept_hooks_reads_them_from_its_bundle()
    {
        var bundle = Directory.CreateTempSubdirectory("srt-hooks-");
        try
        {
            var record = new ContainerRecord { Id = "c", Bundle = bundle.FullName };
            Assert.Throws<SpecValidationException>(() => RecordedHooks.PoststopOf(record)); // no config.json: delete says there are no hooks
            File.WriteAllText(Path.Combine(bundle.FullName, "config.json"),
                """{"ociVersion": "1.2.0", "root": {"path": "rootfs"}, "hooks": {"poststart": [{"path": "/bin/true"}]}}""");
            Assert.Equal("/bin/true", Assert.Single(RecordedHooks.PoststartOf(record)!).Path);
        }
        finally
        {
            bundle.Delete(recursive: true);
        }
    }
}
