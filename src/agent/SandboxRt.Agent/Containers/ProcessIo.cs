using System.Threading.Channels;
using SandboxRt.Interop;

namespace SandboxRt.Agent.Containers;

/// <summary>
/// The agent's side of one process's stdio: pipes (stdin optional, stdout, stderr), or a terminal whose
/// master arrives from the init process once it has opened the pty in the container's devpts.
/// </summary>
internal sealed class ProcessIo : IDisposable
{
    private static readonly ChannelReader<byte[]> Empty = CreateEmpty();
    private readonly string _name;
    private OutputPump? _stdout;
    private OutputPump? _stderr;
    private StdinWriter? _stdin;
    private SafeFdHandle? _terminal;

    private ProcessIo(string name, bool terminal)
    {
        _name = name;
        IsTerminal = terminal;
    }

    public bool IsTerminal { get; }

    /// <summary>The descriptors the child gets as 0, 1 and 2; the caller disposes them once the child is spawned.</summary>
    public SafeFdHandle[] ChildStdio { get; private set; } = [];

    /// <summary>Pipes for a process without a terminal. Without <paramref name="stdin"/>, stdin is /dev/null.</summary>
    public static ProcessIo CreatePipes(string name, bool stdin)
    {
        var io = new ProcessIo(name, terminal: false);
        SafeFdHandle childIn;
        if (stdin)
        {
            var (read, write) = Pipes.Create();
            io._stdin = new StdinWriter(write, name + "-stdin", closeDescriptor: true);
            childIn = read;
        }
        else
        {
            childIn = FileDescriptors.Open("/dev/null", FileDescriptors.ReadOnly);
        }
        var (outRead, outWrite) = Pipes.Create();
        var (errRead, errWrite) = Pipes.Create();
        io._stdout = new OutputPump(outRead, name + "-stdout");
        io._stderr = new OutputPump(errRead, name + "-stderr");
        io.ChildStdio = [childIn, outWrite, errWrite];
        return io;
    }

    /// <summary>A process with a terminal: it starts on /dev/null and switches to the pty its init opens.</summary>
    public static ProcessIo CreateTerminal(string name)
    {
        var io = new ProcessIo(name, terminal: true);
        io.ChildStdio = [FileDescriptors.Open("/dev/null", FileDescriptors.ReadOnly),
                         FileDescriptors.Open("/dev/null", FileDescriptors.WriteOnly),
                         FileDescriptors.Open("/dev/null", FileDescriptors.WriteOnly)];
        return io;
    }

    /// <summary>Closes the agent's copies of the child's descriptors (after spawn).</summary>
    public void ReleaseChildStdio()
    {
        foreach (var fd in ChildStdio)
            fd.Dispose();
        ChildStdio = [];
    }

    /// <summary>The pty master received from init: output is read from it, stdin written to it.</summary>
    public void AttachTerminal(SafeFdHandle master)
    {
        if (!IsTerminal || _terminal is not null)
            throw new InvalidOperationException($"{_name}: unexpected terminal");
        _terminal = master;
        _stdout = new OutputPump(DuplicateForReading(master), _name + "-pty");
        _stdin = new StdinWriter(master, _name + "-pty-in", closeDescriptor: false);
    }

    public ChannelReader<byte[]> AttachStdout() =>
        (_stdout ?? throw new InvalidOperationException($"{_name}: the terminal is not set up")).Attach($"{_name} stdout");

    public ChannelReader<byte[]> AttachStderr() => IsTerminal ? Empty : _stderr!.Attach($"{_name} stderr");

    public Task WriteStdinAsync(byte[] data, CancellationToken cancellationToken) =>
        (_stdin ?? throw new InvalidOperationException($"{_name} was created without stdin")).WriteAsync(data, cancellationToken);

    public void CloseStdin()
    {
        if (IsTerminal && _terminal is not null)
        {
            // A terminal has no separate stdin to close: send EOF (^D) the way a user would.
            _ = _stdin?.WriteAsync([4], CancellationToken.None);
            return;
        }
        _stdin?.Close();
    }

    public void Resize(ushort rows, ushort columns)
    {
        if (_terminal is null)
            throw new InvalidOperationException($"{_name} has no terminal");
        PseudoTerminal.SetWindowSize(_terminal, rows, columns);
    }

    public void Dispose()
    {
        ReleaseChildStdio();
        _stdin?.Close();
        _terminal?.Dispose();
    }

    private static SafeFdHandle DuplicateForReading(SafeFdHandle master) => Descriptors.Duplicate(master);

    private static ChannelReader<byte[]> CreateEmpty()
    {
        var channel = Channel.CreateUnbounded<byte[]>();
        channel.Writer.Complete();
        return channel.Reader;
    }
}
