namespace SandboxRt.Runtime.Checks;

/// <summary>One host requirement: its verdict, a one-line detail, and the facts behind it.</summary>
public sealed record CheckResult(string Name, CheckStatus Status, string Detail, IReadOnlyDictionary<string, string>? Facts = null)
{
    public static CheckResult Ok(string name, string detail, IReadOnlyDictionary<string, string>? facts = null) => new(name, CheckStatus.Ok, detail, facts);
    public static CheckResult Warn(string name, string detail, IReadOnlyDictionary<string, string>? facts = null) => new(name, CheckStatus.Warn, detail, facts);
    public static CheckResult Fail(string name, string detail, IReadOnlyDictionary<string, string>? facts = null) => new(name, CheckStatus.Fail, detail, facts);
}
