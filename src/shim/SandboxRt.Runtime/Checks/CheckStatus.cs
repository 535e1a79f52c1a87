namespace SandboxRt.Runtime.Checks;

public enum CheckStatus
{
    Ok,
    Warn,
    Fail,
}
