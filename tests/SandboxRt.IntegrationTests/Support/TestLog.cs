using Microsoft.Extensions.Logging;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>An ILogger that writes into the xunit test output.</summary>
internal sealed class TestLog : ILogger
{
    public static readonly TestLog Instance = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        TestContext.Current.TestOutputHelper?.WriteLine($"{logLevel}: {formatter(state, exception)}");
}
