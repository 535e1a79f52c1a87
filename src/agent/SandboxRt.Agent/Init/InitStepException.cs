namespace SandboxRt.Agent.Init;

/// <summary>A failure while building a container, naming the step (and the spec field) it happened in.</summary>
internal sealed class InitStepException(string step, string message, Exception? inner = null) : Exception($"{step}: {message}", inner)
{
    public string Step { get; } = step;
}
