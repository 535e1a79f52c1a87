using System.CommandLine;
using System.Text.Json.Nodes;
using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.Checks;

namespace SandboxRt.Cli.Commands;

/// <summary>`sandboxrt check [--json] [--boot]`: the host requirements, like `kata-runtime check`.</summary>
internal sealed class CheckCommand : ICommand
{
    public string Name => "check";
    public string Usage => "check that this host can run sandboxes (--json for machine-readable output, --boot to also boot a test VM)";
    public IReadOnlyList<Option> Options { get; } =
    [
        CliOptions.Switch("json", "print the result as JSON"),
        CliOptions.Switch("boot", "also boot a throwaway sandbox and ask its agent for the guest's details"),
    ];

    public async Task<int> RunAsync(CommandContext context, CommandArgs args)
    {
        var config = context.Config;
        var results = HostChecks.Run(config).ToList();
        GuestBootReport? boot = null;
        if (args.Bool("boot"))
        {
            if (results.Any(r => r.Status == CheckStatus.Fail))
                results.Add(CheckResult.Fail("guest-boot", "skipped: a requirement above failed"));
            else
            {
                boot = await GuestBootReport.RunAsync(context);
                results.Add(boot.Result);
            }
        }
        bool ok = results.All(r => r.Status != CheckStatus.Fail);
        if (args.Bool("json"))
            context.Out.WriteLine(ToJson(results, ok, config.SourcePath, boot).ToJsonString(CliJson.Indented));
        else
            WriteTable(context.Out, results, ok, config.SourcePath, boot);
        return ok ? 0 : 1;
    }

    private static JsonObject ToJson(List<CheckResult> results, bool ok, string? configPath, GuestBootReport? boot)
    {
        var kvm = results.First(r => r.Name == "kvm");
        var accelerator = results.First(r => r.Name == "accelerator");
        var checks = new JsonArray();
        foreach (var r in results)
        {
            var item = new JsonObject { ["name"] = r.Name, ["status"] = r.Status.ToString().ToLowerInvariant(), ["detail"] = r.Detail };
            if (r.Facts is { Count: > 0 })
                item["facts"] = new JsonObject(r.Facts.Select(f => KeyValuePair.Create(f.Key, (JsonNode?)JsonValue.Create(f.Value))));
            checks.Add((JsonNode)item); // the JsonNode overload: Add<T> would serialize T by reflection
        }
        var root = new JsonObject
        {
            ["version"] = BuildInfo.Version,
            ["ok"] = ok,
            ["config"] = configPath,
            ["kvm"] = new JsonObject
            {
                ["usable"] = kvm.Facts?["usable"] == "true",
                ["reason"] = kvm.Facts?["reason"],
            },
            ["accelerator"] = new JsonObject
            {
                ["selected"] = accelerator.Facts?.GetValueOrDefault("accelerator"),
                ["fallback"] = accelerator.Facts?.GetValueOrDefault("accelerator") == "tcg",
                ["reason"] = accelerator.Facts?.GetValueOrDefault("reason") ?? accelerator.Detail,
            },
            ["checks"] = checks,
        };
        if (boot?.Guest is { } guest)
            root["guest"] = GuestBootReport.ToJson(guest, boot.BootTime);
        return root;
    }

    private static void WriteTable(TextWriter output, List<CheckResult> results, bool ok, string? configPath, GuestBootReport? boot)
    {
        output.WriteLine($"config: {configPath ?? "(built-in defaults)"}");
        output.WriteLine($"{"CHECK",-15} {"STATUS",-6} DETAIL");
        foreach (var r in results)
            output.WriteLine($"{r.Name,-15} {r.Status.ToString().ToLowerInvariant(),-6} {r.Detail}");
        if (boot?.Guest is { } guest)
        {
            output.WriteLine();
            GuestBootReport.WriteDetails(output, guest, boot.BootTime);
        }
        output.WriteLine();
        output.WriteLine(ok ? "System is capable of running SandboxRt sandboxes" : "System is NOT capable of running SandboxRt sandboxes");
    }
}
