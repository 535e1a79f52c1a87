using Microsoft.Extensions.Logging;

namespace SandboxRt.Runtime.Sandboxes;

/// <summary>Hands one logger to every category (Kestrel's, for the relay's proxy server).</summary>
internal sealed class LoggerFactoryAdapter(ILogger logger) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => logger;

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }
}
