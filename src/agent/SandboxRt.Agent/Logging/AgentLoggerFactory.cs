using Microsoft.Extensions.Logging;

namespace SandboxRt.Agent;

internal sealed class AgentLoggerFactory : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new AgentLogger(categoryName);

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }
}
