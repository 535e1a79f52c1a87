using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Containers;

namespace SandboxRt.UnitTests.Containers;

/// <summary>
/// A spec without rlimits gets the runtime's own for open files and processes, as runc's init inherits
/// them (Docker writes none unless --ulimit), capped where the guest cannot take them; what the spec
/// names wins.
/// </summary>
[Trait("Tier", "unit")]
public sealed class InheritedRlimitsTests
{
    private const string Limits = """
        Limit                     Soft Limit           Hard Limit           Units
        Max cpu time              unlimited            unlimited            seconds
        Max stack size            8388608              unlimited            bytes
        Max processes             96367                96367                processes
        Max open files            20000                1073741816           files
        Max locked memory         8388608              8388608              bytes
        """;

    [Fact]
    public void Open_files_and_processes_come_from_the_runtime_the_open_file_limit_capped_at_the_guests_nr_open()
    {
        var process = new Process();
        InheritedRlimits.FillMissing(process, Limits);
        Assert.Collection(process.Rlimits!,
            r => Assert.Equal(("RLIMIT_NOFILE", 20000UL, InheritedRlimits.GuestNrOpen), (r.Type, r.Soft, r.Hard)),
            r => Assert.Equal(("RLIMIT_NPROC", 96367UL, 96367UL), (r.Type, r.Soft, r.Hard)));
    }

    [Fact]
    public void A_limit_the_spec_names_is_kept_and_unlimited_or_unreadable_values_are_handled()
    {
        var process = new Process { Rlimits = [new Rlimit { Type = "RLIMIT_NOFILE", Soft = 1024, Hard = 1024 }] };
        InheritedRlimits.FillMissing(process, Limits.Replace("96367                96367", "unlimited            unlimited"));
        Assert.Equal(2, process.Rlimits!.Count);
        Assert.Equal((1024UL, 1024UL), (process.Rlimits[0].Soft, process.Rlimits[0].Hard));
        Assert.Equal(("RLIMIT_NPROC", ulong.MaxValue, ulong.MaxValue), (process.Rlimits[1].Type, process.Rlimits[1].Soft, process.Rlimits[1].Hard));

        var none = new Process();
        InheritedRlimits.FillMissing(none, "garbage\nMax open files  x  y  files\n");
        Assert.Null(none.Rlimits);
    }

    [Fact]
    public void An_exec_that_names_no_limit_gets_the_containers_then_the_runtimes_and_one_that_names_any_keeps_its_own()
    {
        var container = new Process { Rlimits = [new Rlimit { Type = "RLIMIT_NPROC", Soft = 100, Hard = 200 }, new Rlimit { Type = "RLIMIT_CORE", Soft = 0, Hard = 0 }] };
        var bare = new Process();
        InheritedRlimits.FillMissingForExec(bare, container, Limits);
        Assert.Equal([("RLIMIT_NPROC", 100UL, 200UL), ("RLIMIT_CORE", 0UL, 0UL), ("RLIMIT_NOFILE", 20000UL, InheritedRlimits.GuestNrOpen)],
            bare.Rlimits!.Select(r => (r.Type, r.Soft, r.Hard)));
        Assert.NotSame(container.Rlimits[0], bare.Rlimits![0]);

        // runc: the exec's own list replaces the container's; the rest is inherited from the runtime
        var own = new Process { Rlimits = [new Rlimit { Type = "RLIMIT_NOFILE", Soft = 300, Hard = 400 }] };
        InheritedRlimits.FillMissingForExec(own, container, Limits);
        Assert.Equal([("RLIMIT_NOFILE", 300UL, 400UL), ("RLIMIT_NPROC", 96367UL, 96367UL)], own.Rlimits!.Select(r => (r.Type, r.Soft, r.Hard)));
    }
}
