using Microsoft.Extensions.Logging;

namespace SandboxRt.Agent;

/// <summary>Routes the gRPC layer's and Kestrel's warnings into <see cref="AgentLog"/>.</summary>
internal sealed class AgentLogger(string category) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning || (AgentLog.Debug && logLevel >= LogLevel.Debug);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
            return;
        var text = $"{category}: {formatter(state, exception)}" + (exception is null ? "" : " " + exception.Message);
        if (logLevel >= LogLevel.Error)
            AgentLog.Error(text);
        else if (logLevel == LogLevel.Warning)
            AgentLog.Warn(text);
        else
            AgentLog.Trace(text);
    }
}
