using System.CommandLine;
using SandboxRt.Cli.Cli;
using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Lifecycle;

namespace SandboxRt.Cli.Commands;

/// <summary>`sandboxrt update [--resources FILE|-] [flags] ID` (runc update).</summary>
internal sealed class UpdateCommand : ICommand
{
    public string Name => "update";
    public string Usage => "update a container's resource limits (OCI linux.resources JSON, or flags)";
    public string ArgumentsHelp => "CONTAINER-ID";
    public IReadOnlyList<Option> Options { get; } =
    [
        CliOptions.Value("resources", "path to a linux.resources JSON, or - for stdin", "r"),
        CliOptions.Value("memory", "memory limit: bytes, or with a unit as runc takes it (512m, 1g); -1 for none"),
        CliOptions.Value("memory-reservation", "memory soft limit (as --memory)"),
        CliOptions.Value("memory-swap", "memory + swap limit (as --memory)"),
        CliOptions.Value("kernel-memory", "ignored on cgroup v2"),
        CliOptions.Value("cpu-shares", "CPU shares (relative weight)"),
        CliOptions.Value("cpu-period", "CPU CFS period (µs)"),
        CliOptions.Value("cpu-quota", "CPU CFS quota (µs)"),
        CliOptions.Value("cpuset-cpus", "CPUs allowed"),
        CliOptions.Value("cpuset-mems", "memory nodes allowed"),
        CliOptions.Value("pids-limit", "maximum number of processes"),
        CliOptions.Value("blkio-weight", "block I/O weight (10-1000)"),
    ];

    public async Task<int> RunAsync(CommandContext context, CommandArgs args)
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
        long? Memory(string flag) => args.Value(flag) is { } v ? FlagValues.Memory(flag, v) : null;
        ulong? Unsigned(string flag, ulong max = ulong.MaxValue) => args.Value(flag) is { } v ? FlagValues.Unsigned(flag, v, max) : null;
        long? Signed(string flag) => args.Value(flag) is { } v ? FlagValues.Signed(flag, v) : null;
        if (args.Has("memory") || args.Has("memory-reservation") || args.Has("memory-swap"))
        {
            resources.Memory ??= new LinuxMemory();
            resources.Memory.Limit = Memory("memory") ?? resources.Memory.Limit;
            resources.Memory.Reservation = Memory("memory-reservation") ?? resources.Memory.Reservation;
            resources.Memory.Swap = Memory("memory-swap") ?? resources.Memory.Swap;
        }
        if (args.Has("cpu-shares") || args.Has("cpu-period") || args.Has("cpu-quota") || args.Has("cpuset-cpus") || args.Has("cpuset-mems"))
        {
            resources.Cpu ??= new LinuxCpu();
            resources.Cpu.Shares = Unsigned("cpu-shares") ?? resources.Cpu.Shares;
            resources.Cpu.Period = Unsigned("cpu-period") ?? resources.Cpu.Period;
            resources.Cpu.Quota = Signed("cpu-quota") ?? resources.Cpu.Quota;
            resources.Cpu.Cpus = args.Value("cpuset-cpus") ?? resources.Cpu.Cpus;
            resources.Cpu.Mems = args.Value("cpuset-mems") ?? resources.Cpu.Mems;
        }
        if (Signed("pids-limit") is { } pids)
            resources.Pids = new LinuxPids { Limit = pids };
        if (Unsigned("blkio-weight", ushort.MaxValue) is { } weight)
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
