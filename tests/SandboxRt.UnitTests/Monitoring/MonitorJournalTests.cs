using SandboxRt.Runtime.Monitoring;

namespace SandboxRt.UnitTests.Monitoring;

/// <summary>The node journal the monitor reads: lines it accepts, lines it drops, and following it across a rotation.</summary>
[Trait("Tier", "unit")]
public sealed class MonitorJournalTests
{
    [Theory]
    [InlineData("boot 2.051", "boot", 2.051, null)]
    [InlineData("create 0", "create", 0.0, null)]
    [InlineData("error boot", "error", 0.0, "boot")]
    public void Well_formed_lines_parse(string text, string kind, double seconds, string? phase)
    {
        var line = JournalLine.Parse(text);
        Assert.Equal(new JournalLine(kind, seconds, phase), line);
    }

    [Theory]
    [InlineData("")]
    [InlineData("boot")]
    [InlineData("boot -1")]
    [InlineData("boot NaN")]
    [InlineData("boot 1 2")]
    [InlineData("reboot 1")]
    [InlineData("error Boot\u001b[2J")]
    [InlineData("error a{b=\"c\"}")]
    public void Torn_foreign_or_hostile_lines_are_dropped(string text) => Assert.Null(JournalLine.Parse(text));

    [Fact]
    public void A_phase_becomes_a_safe_label_value() =>
        Assert.Equal("create_x_y", JournalLine.Sanitize("Create\"x}y"));

    [Fact]
    public void The_reader_returns_only_new_complete_lines_and_follows_a_rotation()
    {
        using var dir = new TempDirectory();
        var path = dir.File("journal", "boot 1.0\n");
        var reader = new JournalReader(path);
        Assert.Empty(reader.ReadNew()); // what was there before the monitor started is not counted

        File.AppendAllText(path, "create 2.5\nboot 3");
        Assert.Equal([new JournalLine("create", 2.5, null)], reader.ReadNew());
        File.AppendAllText(path, ".5\n");
        Assert.Equal([new JournalLine("boot", 3.5, null)], reader.ReadNew());

        File.Move(path, path + ".1");
        File.WriteAllText(path, "error create\n");
        Assert.Equal([new JournalLine("error", 0, "create")], reader.ReadNew());
    }
}
