using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Host;

/// <summary>
/// A missing prerequisite fails a test on CI with the reason it would skip with elsewhere. (The skipping
/// side cannot be tested in-process: xunit marks a test skipped as soon as Assert.Skip runs.)
/// </summary>
[Trait("Tier", "host")]
public sealed class TestEnvironmentTests
{
    [Fact]
    public void A_missing_prerequisite_fails_under_ci_with_the_same_reason()
    {
        var e = Assert.ThrowsAny<Exception>(() => TestEnvironment.Skip("needs a thing", onCi: true));
        Assert.IsType<Xunit.Sdk.FailException>(e);
        Assert.Contains("needs a thing", e.Message);
        Assert.Contains("CI=true", e.Message);
    }
}
