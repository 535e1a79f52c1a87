namespace SandboxRt.Runtime.Hypervisors;

/// <summary>
/// How a VM started: restored from a template (warm), or booted (cold), and why not warm when templates
/// are on. A clone's guest still holds the template's agent token until the host's first call replaces
/// it (IAgent ReseedGuest): <see cref="TemplateDirectory"/> is where that token is.
/// </summary>
public sealed record VmStart
{
    public static readonly VmStart Cold = new();

    /// <summary>The template's key, for a clone; null for a cold boot.</summary>
    public string? TemplateKey { get; init; }

    /// <summary>The template's directory (its agent-token), for a clone.</summary>
    public string? TemplateDirectory { get; init; }

    /// <summary>Time from starting the hypervisor to a running clone (state loaded, devices plugged).</summary>
    public TimeSpan Restore { get; init; }

    /// <summary>Why a VM with templates on booted cold; <see cref="Warn"/> when that was a failure rather than a configuration that has no templates.</summary>
    public string? ColdReason { get; init; }
    public bool Warn { get; init; }

    public bool FromTemplate => TemplateKey is not null;
}
