namespace SandboxRt.Seccomp.Bpf;

/// <summary>A forward jump target in a <see cref="BpfAssembler"/>, placed later with <see cref="BpfAssembler.Mark"/>.</summary>
internal readonly record struct BpfLabel(int Id);
