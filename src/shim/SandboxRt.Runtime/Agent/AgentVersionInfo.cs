namespace SandboxRt.Runtime.Agent;

public sealed record AgentVersionInfo(string AgentVersion, string ApiVersion);
