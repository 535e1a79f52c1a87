namespace SandboxRt.Agent.Init;

/// <summary>The workload's environment: the spec's, plus HOME from the container's /etc/passwd when missing (as runc does).</summary>
internal static class ProcessEnvironment
{
    public static List<string> Build(Oci.Spec.Process process)
    {
        var env = new List<string>(process.Env ?? []);
        if (!env.Any(e => e.StartsWith("HOME=", StringComparison.Ordinal)))
            env.Add("HOME=" + HomeOf(process.User.Uid));
        if (!env.Any(e => e.StartsWith("PATH=", StringComparison.Ordinal)))
            env.Add("PATH=" + ExecutableResolver.DefaultPath);
        return env;
    }

    private static string HomeOf(uint uid)
    {
        try
        {
            if (File.Exists("/etc/passwd"))
                foreach (var line in File.ReadLines("/etc/passwd"))
                {
                    var fields = line.Split(':');
                    if (fields.Length >= 6 && uint.TryParse(fields[2], out var u) && u == uid)
                        return fields[5].Length > 0 ? fields[5] : "/";
                }
        }
        catch (IOException)
        {
        }
        return "/";
    }
}
