namespace SandboxRt.Interop;

/// <summary>One struct inotify_event: the watch it belongs to, what happened, and the name inside a watched directory.</summary>
public readonly record struct InotifyEvent(int Watch, InotifyMask Mask, uint Cookie, string? Name);
