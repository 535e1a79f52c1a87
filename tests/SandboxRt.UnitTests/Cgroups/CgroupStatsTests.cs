using SandboxRt.Cgroups;

namespace SandboxRt.UnitTests.Cgroups;

/// <summary>Statistics parsed from interface-file contents as a 6.x kernel prints them.</summary>
[Trait("Tier", "unit")]
public sealed class CgroupStatsTests
{
    private const string CpuStat = """
        usage_usec 8120345
        user_usec 6011222
        system_usec 2109123
        core_sched.force_idle_usec 0
        nr_periods 120
        nr_throttled 7
        throttled_usec 450000
        nr_bursts 0
        burst_usec 0

        """;

    private const string MemoryStat = """
        anon 10485760
        file 4194304
        kernel 1048576
        kernel_stack 65536
        pagetables 131072
        sock 0
        shmem 8192
        file_mapped 1024
        file_dirty 0
        slab 524288
        active_file 1048576
        inactive_file 3145728
        pgfault 5012
        pgmajfault 3

        """;

    private const string MemoryEvents = """
        low 0
        high 12
        max 40
        oom 2
        oom_kill 1
        oom_group_kill 0

        """;

    private const string IoStat = """
        8:0 rbytes=1048576 wbytes=4096 rios=12 wios=1 dbytes=0 dios=0
        253:1 rbytes=0 wbytes=8192 rios=0 wios=2 dbytes=512 dios=1 cost.vrate=100.00 cost.usage=12

        """;

    [Fact]
    public void Every_controller_section_is_parsed()
    {
        using var root = new FakeCgroupRoot();
        var dir = root.Leaf("c1");
        Write(dir, "cpu.stat", CpuStat);
        Write(dir, "memory.current", "15728640\n");
        Write(dir, "memory.max", "67108864\n");
        Write(dir, "memory.swap.current", "0\n");
        Write(dir, "memory.stat", MemoryStat);
        Write(dir, "memory.events", MemoryEvents);
        Write(dir, "pids.current", "3\n");
        Write(dir, "pids.max", "max\n");
        Write(dir, "io.stat", IoStat);

        var stats = root.Manager.Open("c1").ReadStats();

        Assert.Equal(new(8120345, 6011222, 2109123, 120, 7, 450000), stats.Cpu);
        var memory = stats.Memory!;
        Assert.Equal(15728640ul, memory.Usage);
        Assert.Equal(67108864ul, memory.Limit);
        Assert.Equal(0ul, memory.SwapUsage);
        Assert.Equal(10485760ul, memory.Anon);
        Assert.Equal(4194304ul, memory.File);
        Assert.Equal(65536ul, memory.KernelStack);
        Assert.Equal(5012ul, memory.Stat["pgfault"]);
        Assert.Equal(15728640ul - 3145728ul, memory.WorkingSet);
        Assert.Equal(2ul, memory.OomEvents);
        Assert.Equal(1ul, memory.OomKills);
        Assert.Equal(40ul, memory.Events["max"]);
        Assert.Equal(new(3, null), stats.Pids);
        Assert.Equal(
            [new(8, 0, 1048576, 4096, 12, 1, 0, 0), new(253, 1, 0, 8192, 0, 2, 512, 1)],
            stats.Io);
    }

    [Fact]
    public void Controllers_that_are_not_enabled_are_null()
    {
        using var root = new FakeCgroupRoot();
        var dir = root.Leaf("c1");
        Write(dir, "cpu.stat", "usage_usec 5\nuser_usec 3\nsystem_usec 2\n"); // cpu.stat exists without the cpu controller
        var stats = root.Manager.Open("c1").ReadStats();
        Assert.Equal(new(5, 3, 2, 0, 0, 0), stats.Cpu);
        Assert.Null(stats.Memory);
        Assert.Null(stats.Pids);
        Assert.Empty(stats.Io);
    }

    [Fact]
    public void Memory_max_of_max_is_no_limit_and_missing_optional_files_are_null()
    {
        using var root = new FakeCgroupRoot();
        var dir = root.Leaf("c1");
        Write(dir, "memory.current", "4096\n");
        Write(dir, "memory.max", "max\n");
        Write(dir, "pids.current", "1\n");
        Write(dir, "pids.max", "100\n");
        var stats = root.Manager.Open("c1").ReadStats();
        Assert.Null(stats.Memory!.Limit);
        Assert.Null(stats.Memory.SwapUsage);
        Assert.Empty(stats.Memory.Stat);
        Assert.Equal(0ul, stats.Memory.OomKills);
        Assert.Equal(new(1, 100), stats.Pids);
    }

    [Fact]
    public void Malformed_content_names_the_file_and_line()
    {
        using var root = new FakeCgroupRoot();
        var dir = root.Leaf("c1");
        Write(dir, "cpu.stat", "usage_usec 5\nuser_usec lots\n");
        var e = Assert.Throws<CgroupException>(() => root.Manager.Open("c1").ReadStats());
        Assert.Equal($"parse {Path.Combine(dir, "cpu.stat")}: unexpected \"user_usec lots\"", e.Message);
    }

    private static void Write(string dir, string file, string content) => File.WriteAllText(Path.Combine(dir, file), content);
}
