using Microsoft.Extensions.Logging;

namespace SandboxRt.UnitTests.Fakes;

/// <summary>An <see cref="ILogger"/> that keeps every message, with its level, for assertions.</summary>
internal sealed class RecordingLogger : ILogger
{
    private readonly List<(LogLevel Level, string Message)> _entries = [];

    /// <summary>Every message, in order.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_entries)
                return [.. _entries.Select(e => e.Message)];
        }
    }

    /// <summary>The messages logged at <paramref name="level"/>, in order.</summary>
    public IReadOnlyList<string> At(LogLevel level)
    {
        lock (_entries)
            return [.. _entries.Where(e => e.Level == level).Select(e => e.Message)];
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries)
            _entries.Add((logLevel, formatter(state, exception)));
    }
}
