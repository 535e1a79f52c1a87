namespace SandboxRt.IntegrationTests.Support;

/// <summary>A thread that repeats one step (a hostile guest's move) until disposed; disposing stops and joins it.</summary>
internal sealed class Racer : IDisposable
{
    private readonly Thread _thread;
    private volatile bool _stop;

    public Racer(Action step)
    {
        _thread = new Thread(() =>
        {
            while (!_stop)
                step();
        }) { IsBackground = true, Name = "racer" };
        _thread.Start();
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}
