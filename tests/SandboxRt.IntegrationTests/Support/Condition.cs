namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// Waiting for something that has no notification to wait on (a process appearing in /proc, a file
/// going away): the condition is checked until it holds, and not holding within the bound is a failure
/// that says what was awaited. The bound is a hang detector, not a guess at how long things take.
/// </summary>
internal static class Condition
{
    public static async Task WaitAsync(Func<bool> condition, string what, TimeSpan? bound = null)
    {
        var deadline = DateTime.UtcNow + (bound ?? TimeSpan.FromSeconds(60));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(25);
        }
    }

    /// <summary>The same for a condition that is itself asked asynchronously (a client's answer).</summary>
    public static async Task WaitAsync(Func<Task<bool>> condition, string what, TimeSpan? bound = null)
    {
        var deadline = DateTime.UtcNow + (bound ?? TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }
}
