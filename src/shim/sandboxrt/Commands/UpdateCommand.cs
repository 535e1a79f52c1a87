using SandboxRt.Cli.Cli;
using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.CommandLine;
using SandboxRt.Runtime.Lifecycle;

namespace SandboxRt.Cli.Commands;

/// <summary>`sandboxrt update [--resources FILE|-] [flags] ID` (runc update).</summary>
internal sealed class UpdateCommand : ICommand
{
    public string Name => "update";
    public string Usage => "update a container's resource limits (OCI linux.resources JSON, or flags)";
    public IReadOnlyList<FlagSpec> Flags =>
    [
        new("resources", true, "path to a linux.resources JSON, or - for stdin", "r"),
        new("memory", true, "memory limit in bytes"),
        new("memory-reservation", true, "memory soft limit in bytes"),
        new("memory-swap", true, "memory + swap limit in bytes"),
        new("kernel-memory", true, "ignored on cgroup v2"),
        new("cpu-shares", true, "CPU shares (relative weight)"),
        new("cpu-period", true, "CPU CFS period (µs)"),
        new("cpu-quota", true, "CPU CFS quota (µs)"),
        new("cpuset-cpus", true, "CPUs allowed"),
        new("cpuset-mems", true, "memory nodes allowed"),
        new("pids-limit", true, "maximum number of processes"),
        new("blkio-weight", true, "block I/O weight (10-1000)"),
    ];

    public async Task<int> RunAsync(CommandContext context, ParsedArgs args)
    {
        var id = StartCommand.OneId(args, Name);
        LinuxResources resources;
        if (args.Value("resources") is { } source)
        {
            var json = source == "-" ? await ReadStdinAsync() : SpecLoader.ReadBounded(source, "no such file");
            resources = SpecLoader.Parse(json, OciJsonContext.Default.LinuxResources, "--resources");
        }
        else
        {
            resources = new LinuxResources();
        }
        long? Long(string flag) => args.Value(flag) is { } v ? long.TryParse(v, out var n) ? n : throw new UsageException($"--{flag}: '{v}' is not a number") : null;
        if (Long("memory") is { } memory || Long("memory-reservation") is not null || Long("memory-swap") is not null)
        {
            resources.Memory ??= new LinuxMemory();
            resources.Memory.Limit = Long("memory") ?? resources.Memory.Limit;
            resources.Memory.Reservation = Long("memory-reservation") ?? resources.Memory.Reservation;
            resources.Memory.Swap = Long("memory-swap") ?? resources.Memory.Swap;
        }
        if (args.Has("cpu-shares") || args.Has("cpu-period") || args.Has("cpu-quota") || args.Has("cpuset-cpus") || args.Has("cpuset-mems"))
        {
            resources.Cpu ??= new LinuxCpu();
            resources.Cpu.Shares = (ulong?)Long("cpu-shares") ?? resources.Cpu.Shares;
            resources.Cpu.Period = (ulong?)Long("cpu-period") ?? resources.Cpu.Period;
            resources.Cpu.Quota = Long("cpu-quota") ?? resources.Cpu.Quota;
            resources.Cpu.Cpus = args.Value("cpuset-cpus") ?? resources.Cpu.Cpus;
            resources.Cpu.Mems = args.Value("cpuset-mems") ?? resources.Cpu.Mems;
        }
        if (Long("pids-limit") is { } pids)
            resources.Pids = new LinuxPids { Limit = pids };
        if (Long("blkio-weight") is { } weight)
            resources.BlockIO = new LinuxBlockIO { Weight = (ushort)weight };
        await UpdateOperation.RunAsync(context.Lifecycle, id, resources);
        return 0;
    }

    /// <summary>`--resources -`: stdin, read to at most the same bound as a file.</summary>
    private static async Task<byte[]> ReadStdinAsync()
    {
        using var stdin = Console.OpenStandardInput();
        var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int n;
        while ((n = await stdin.ReadAsync(chunk)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > SpecLoader.MaxConfigBytes)
                throw new SpecValidationException([$"--resources: larger than {SpecLoader.MaxConfigBytes} bytes"]);
        }
        return buffer.ToArray();
    }
}
