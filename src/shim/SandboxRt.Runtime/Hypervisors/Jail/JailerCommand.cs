namespace SandboxRt.Runtime.Hypervisors.Jail;

/// <summary>The jailer's argv for a <see cref="JailSpec"/> and the program's own argv (argv[0] its absolute path).</summary>
public static class JailerCommand
{
    public static List<string> Build(string jailer, JailSpec spec, IReadOnlyList<string> program)
    {
        var args = new List<string> { jailer };
        if (spec.NewPidNamespace)
            args.Add("--pid-ns");
        foreach (var cgroup in spec.Cgroups)
            args.AddRange(["--cgroup", cgroup]);
        if (spec.Root is { } root)
        {
            args.AddRange(["--root", root]);
            foreach (var (target, link) in spec.Layout?.Symlinks ?? [])
                args.AddRange(["--symlink", target, link]);
            foreach (var bind in spec.Layout?.Binds ?? [])
                args.AddRange(["--bind-ro", bind, bind]);
            foreach (var bind in spec.Layout?.WritableBinds ?? [])
                args.AddRange(["--bind-rw", bind, bind]);
            foreach (var device in spec.Devices)
                args.AddRange(["--dev", device]);
            foreach (var device in spec.PrivateDevices)
                args.AddRange(["--dev-private", device]);
            if (spec.OwnDescriptorDirectory)
                args.Add("--proc-self-fd");
        }
        if (spec.User is { } user)
            args.AddRange(["--uid", user.Uid.ToString(), "--gid", user.Gid.ToString()]);
        else if (spec.Capabilities is { } caps)
            args.AddRange(["--caps", string.Join(',', caps)]);
        foreach (var fd in spec.KeepDescriptors)
            args.AddRange(["--keep-fd", fd.ToString()]);
        args.Add("--");
        args.AddRange(program);
        return args;
    }
}
