namespace SandboxRt.Cgroups.Stats;

/// <summary>Reads a <see cref="CgroupStats"/> snapshot from a cgroup directory. Missing files mean "controller not enabled".</summary>
internal static class CgroupStatsReader
{
    public static CgroupStats Read(string directory) =>
        new(ReadCpu(directory), ReadMemory(directory), ReadPids(directory), ReadIo(directory));

    private static CpuStats? ReadCpu(string directory)
    {
        var path = Path.Combine(directory, "cpu.stat");
        if (CgroupFile.TryRead(path) is not { } text)
            return null;
        var v = CgroupFileParser.ParseFlatKeyed(text, path);
        return new CpuStats(
            v.GetValueOrDefault("usage_usec"), v.GetValueOrDefault("user_usec"), v.GetValueOrDefault("system_usec"),
            v.GetValueOrDefault("nr_periods"), v.GetValueOrDefault("nr_throttled"), v.GetValueOrDefault("throttled_usec"));
    }

    private static MemoryStats? ReadMemory(string directory)
    {
        var currentPath = Path.Combine(directory, "memory.current");
        if (CgroupFile.TryRead(currentPath) is not { } current)
            return null;
        return new MemoryStats(
            CgroupFileParser.ParseValue(current, currentPath),
            ReadOptional(directory, "memory.max", CgroupFileParser.ParseMax),
            ReadOptional(directory, "memory.swap.current", (t, p) => (ulong?)CgroupFileParser.ParseValue(t, p)),
            ReadOptional(directory, "memory.stat", CgroupFileParser.ParseFlatKeyed) ?? [],
            ReadOptional(directory, "memory.events", CgroupFileParser.ParseFlatKeyed) ?? []);
    }

    private static PidsStats? ReadPids(string directory)
    {
        var currentPath = Path.Combine(directory, "pids.current");
        if (CgroupFile.TryRead(currentPath) is not { } current)
            return null;
        return new PidsStats(CgroupFileParser.ParseValue(current, currentPath), ReadOptional(directory, "pids.max", CgroupFileParser.ParseMax));
    }

    private static IReadOnlyList<IoDeviceStats> ReadIo(string directory) =>
        ReadOptional(directory, "io.stat", CgroupFileParser.ParseIoStat) ?? [];

    private static T? ReadOptional<T>(string directory, string file, Func<string, string, T> parse)
    {
        var path = Path.Combine(directory, file);
        return CgroupFile.TryRead(path) is { } text ? parse(text, path) : default;
    }
}
