namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// A directory under /tmp for what one test run builds once (helper binaries, the test image), removed
/// when the test process exits: every run used to leave its own behind.
/// </summary>
internal static class RunScratch
{
    public static string Create(string name)
    {
        var path = Path.Combine(Path.GetTempPath(), $"{name}-{Environment.ProcessId}");
        Directory.CreateDirectory(path);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // something still mounted there from a leaked container: the leak checks name it
            }
        };
        return path;
    }
}
