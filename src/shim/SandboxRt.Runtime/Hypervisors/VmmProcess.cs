// The life of a VMM process, written once for every driver (QEMU, Cloud Hypervisor).
//
// Exit: the VM counts as exited once the VMM's output has reached its logs (the pumps end when the
// VMM's ends of the console and the pipe close; at most LogDrainTimeout, so a helper that still holds a
// pipe cannot hold the exit back), so a boot error quotes the VMM's last words, and the file server's
// when it died too.
//
// File server: a VM whose virtiofsd died has lost its containers' root file systems for good: file access
// in the guest hangs from then on and the guest cannot tell the host. The VMM is killed, so that whoever
// waits on the VM (the relay, the shim) sees it go and reports the containers as killed (Kata stops its
// sandbox when virtiofsd dies too); before this an exec in such a VM hung forever. Not once a stop has
// begun: the stop ends the VMM its own way.
//
// Stop: the driver's clean request first (QMP quit, the API's vm.shutdown + vmm.shutdown), the grace
// period, then SIGKILL; the file server is stopped after the VMM, and the driver's clean-up (state files,
// jail user) runs exactly once, however the stop ended. A second stop only waits for the exit.
// The two callbacks are all that differs between drivers.
using SandboxRt.Runtime.Processes;

namespace SandboxRt.Runtime.Hypervisors;

/// <summary>A running VMM process with its optional file server: its exit description, and its stop.</summary>
internal sealed class VmmProcess
{
    private static readonly TimeSpan LogDrainTimeout = TimeSpan.FromSeconds(2);
    private readonly string _name;
    private readonly IChildProcess _process;
    private readonly IFileServer? _fileServer;
    private readonly TimeSpan _grace;
    private readonly Func<CancellationToken, Task> _requestShutdown;
    private readonly Action _cleanUp;
    private int _stopped;

    /// <param name="name">The VMM as the exit description names it ("QEMU", "cloud-hypervisor").</param>
    /// <param name="logs">Completes when the VMM's output (and the file server's) has reached the logs.</param>
    /// <param name="grace">How long a stop waits after the clean request before SIGKILL.</param>
    /// <param name="requestShutdown">The driver's clean stop; it must not throw for a VMM that is wedged or going.</param>
    /// <param name="cleanUp">What the driver removes once the VMM is stopped; called once, by the first stop.</param>
    public VmmProcess(string name, IChildProcess process, IFileServer? fileServer, Task logs, TimeSpan grace,
        Func<CancellationToken, Task> requestShutdown, Action cleanUp)
    {
        _name = name;
        _process = process;
        _fileServer = fileServer;
        _grace = grace;
        _requestShutdown = requestShutdown;
        _cleanUp = cleanUp;
        Exited = DescribeExitAsync(logs);
        if (fileServer is not null)
            _ = StopWhenFileServerDiesAsync(fileServer);
    }

    public int Pid => _process.Pid;
    public IReadOnlyList<int> HelperPids => _fileServer is null ? [] : [_fileServer.Pid];

    /// <summary>Completes, with how the VMM (and its file server, if it died) ended, once the VMM has exited.</summary>
    public Task<string> Exited { get; }

    private bool HasExited => _process.Exited.IsCompleted;

    private async Task<string> DescribeExitAsync(Task logs)
    {
        var status = await _process.Exited;
        await Task.WhenAny(logs, Task.Delay(LogDrainTimeout));
        var description = $"{_name} (pid {_process.Pid}) {status}";
        if (_fileServer is not null && await _fileServer.DescribeExitAsync() is { } helper)
            description += $"; {helper}";
        return description;
    }

    private async Task StopWhenFileServerDiesAsync(IFileServer fileServer)
    {
        await Task.WhenAny(fileServer.Exited, _process.Exited);
        if (!HasExited && Volatile.Read(ref _stopped) == 0)
            _process.Signal(Signals.SIGKILL);
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            await _process.Exited;
            return;
        }
        try
        {
            if (!HasExited)
                await _requestShutdown(cancellationToken);
            if (!await WaitAsync(_grace, cancellationToken))
                _process.Signal(Signals.SIGKILL);
            await Exited;
            if (_fileServer is not null)
                await _fileServer.StopAsync();
        }
        finally
        {
            _cleanUp();
        }
    }

    /// <summary>Waits for the exit up to <paramref name="timeout"/> (less when cancelled); true when it exited.</summary>
    private async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var finished = await Task.WhenAny(_process.Exited, Task.Delay(timeout, cancellationToken));
        return finished == _process.Exited;
    }
}
