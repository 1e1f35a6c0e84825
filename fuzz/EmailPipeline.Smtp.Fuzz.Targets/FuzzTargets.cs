namespace EmailPipeline.Smtp.Fuzz;

/// <summary>One fuzz target: a name (the command-line argument and corpus folder) and the code it runs.</summary>
public sealed record FuzzTarget(string Name, FuzzAction Run);

/// <summary>Runs one input; throws when the code under test crashes or breaks an invariant.</summary>
public delegate void FuzzAction(ReadOnlySpan<byte> input);

public static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("command", CommandTarget.Run),
        new("data", ContentTargets.Data),
        new("bdat", ContentTargets.Bdat),
    ];

    public static FuzzTarget? Find(string name) =>
        All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));
}
