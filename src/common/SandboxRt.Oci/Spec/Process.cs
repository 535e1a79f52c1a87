namespace SandboxRt.Oci.Spec;

public sealed class Process
{
    public bool Terminal { get; set; }
    public ConsoleSize? ConsoleSize { get; set; }
    public User User { get; set; } = new();
    public List<string>? Args { get; set; }
    public string? CommandLine { get; set; }
    public List<string>? Env { get; set; }
    public string Cwd { get; set; } = "/";
    public Capabilities? Capabilities { get; set; }
    public List<Rlimit>? Rlimits { get; set; }
    public bool NoNewPrivileges { get; set; }
    public string? ApparmorProfile { get; set; }
    public int? OomScoreAdj { get; set; }
    public string? SelinuxLabel { get; set; }
}
