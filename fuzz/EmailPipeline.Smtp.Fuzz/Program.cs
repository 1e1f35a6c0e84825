using EmailPipeline.Smtp.Fuzz;
using SharpFuzz;

// Usage:
//   EmailPipeline.Smtp.Fuzz <target>                      under afl-fuzz (reads each input from stdin)
//   EmailPipeline.Smtp.Fuzz <target> --libfuzzer          under libfuzzer-dotnet
//   EmailPipeline.Smtp.Fuzz <target> --replay <file|dir>… runs files once each, reports the first failure
//   EmailPipeline.Smtp.Fuzz <target> --mutate <seconds> <corpus dir>   in-process random mutation, no AFL
if (args.Length == 0 || FuzzTargets.Find(args[0]) is not { } target)
{
    Console.Error.WriteLine($"usage: EmailPipeline.Smtp.Fuzz <{string.Join('|', FuzzTargets.All.Select(t => t.Name))}> [--libfuzzer | --replay path… | --mutate seconds corpus]");
    return 2;
}

string mode = args.Length > 1 ? args[1] : "--afl";
switch (mode)
{
    case "--afl":
        // Out of process: a stack overflow or other fatal error in the child is reported as a crash instead of killing the fork server.
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            target.Run(copy.GetBuffer().AsSpan(0, (int)copy.Length));
        });
        return 0;

    case "--libfuzzer":
        Fuzzer.LibFuzzer.Run(span => target.Run(span));
        return 0;

    case "--replay":
        return Replay(target, args.Skip(2));

    case "--mutate" when args.Length == 4 && int.TryParse(args[2], out int seconds):
    {
        byte[][] seeds = Directory.EnumerateFiles(args[3]).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long runs = MutationFuzzer.Run(target, seeds, Environment.TickCount, long.MaxValue, TimeSpan.FromSeconds(seconds));
        Console.WriteLine($"{target.Name}: {runs} inputs in {clock.Elapsed.TotalSeconds:F1} s ({runs / clock.Elapsed.TotalSeconds:F0}/s), no failure");
        return 0;
    }

    default:
        Console.Error.WriteLine($"unknown mode '{mode}'");
        return 2;
}

static int Replay(FuzzTarget target, IEnumerable<string> paths)
{
    int count = 0;
    foreach (string path in paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p) : [p]).Order(StringComparer.Ordinal))
    {
        byte[] input = File.ReadAllBytes(path);
        try
        {
            target.Run(input);
        }
        catch (FuzzInvariantException e)
        {
            // Only our own invariant failures are reported here; anything else escapes with its stack, as it would under AFL.
            Console.Error.WriteLine($"{path}: {e.Message}\n  input {Convert.ToHexString(input)}");
            return 1;
        }

        count++;
    }

    Console.WriteLine($"{target.Name}: {count} inputs replayed, no failure");
    return 0;
}
