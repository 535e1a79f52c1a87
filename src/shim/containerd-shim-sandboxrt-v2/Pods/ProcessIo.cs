namespace SandboxRt.Shim.Pods;

/// <summary>Where a process's stdio goes on the host: containerd's fifo paths (empty: none), and whether it has a terminal.</summary>
internal sealed record ProcessIo(string Stdin, string Stdout, string Stderr, bool Terminal);
