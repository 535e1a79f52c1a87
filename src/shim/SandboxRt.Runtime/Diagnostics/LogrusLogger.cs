using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace SandboxRt.Runtime.Diagnostics;

/// <summary>
/// Logs as runc and containerd's shims do (logrus): as text (time="..." level=... msg="...") or as JSON
/// lines ({"level":"error","msg":"...","time":"..."}); containerd reads runc's --log file when a call
/// fails, and copies a shim's log fifo into its own log.
/// </summary>
/// Each line reaches the file in one write(2) on an O_APPEND descriptor, so that lines from several
/// processes sharing the file (the CLI and its relay both log to containerd's log.json) never interleave.
public sealed class LogrusLogger(Action<string> sink, bool json, bool debug) : ILogger
{

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= (debug ? LogLevel.Debug : LogLevel.Information) && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
            return;
        Write(logLevel, formatter(state, exception));
    }

    public void Write(LogLevel level, string message)
    {
        var name = level switch
        {
            LogLevel.Trace or LogLevel.Debug => "debug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warning",
            _ => "error",
        };
        var time = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ");
        string line = json
            ? $"{{\"level\":\"{name}\",\"msg\":{Quote(message)},\"time\":\"{time}\"}}"
            : $"time=\"{time}\" level={name} msg={Quote(message)}";
        sink(line + "\n");
    }

    private static string Quote(string message) => "\"" + JsonEncodedText.Encode(message, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).Value + "\"";
}
