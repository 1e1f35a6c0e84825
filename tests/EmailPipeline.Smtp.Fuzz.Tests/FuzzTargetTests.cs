namespace EmailPipeline.Smtp.Fuzz.Tests;

/// <summary>
/// Keeps the fuzz targets green between fuzzing runs: every seed and every saved crash goes through the
/// same target code AFL runs, plus a short random mutation run with a fixed seed.
/// </summary>
public sealed class FuzzTargetTests
{
    /// <summary>Regression files named open-… are bugs found but not fixed yet (see fuzz/README.md).</summary>
    private const string OpenPrefix = "open-";

    [Theory]
    [MemberData(nameof(CorpusFiles.Seeds), MemberType = typeof(CorpusFiles))]
    public void Seed_input_keeps_every_invariant(string target, string file) =>
        Target(target).Run(CorpusFiles.Read("corpus", target, file));

    [Theory]
    [MemberData(nameof(CorpusFiles.Regressions), MemberType = typeof(CorpusFiles))]
    public void Saved_crash_input_keeps_every_invariant(string target, string file)
    {
        byte[] input = CorpusFiles.Read("regressions", target, file);
        if (!file.StartsWith(OpenPrefix, StringComparison.Ordinal))
        {
            Target(target).Run(input);
            return;
        }

        try
        {
            Target(target).Run(input);
        }
        catch (FuzzInvariantException e)
        {
            // Known and reported, not fixed yet: visible as skipped rather than failing every build.
            Assert.Skip($"open bug, {file}: {e.Message}");
        }

        Assert.Fail($"{file} passes now: drop the '{OpenPrefix}' prefix so the fix stays checked.");
    }

    [Theory]
    [InlineData("command")]
    [InlineData("data")]
    [InlineData("bdat")]
    public void Random_mutants_of_the_seeds_keep_every_invariant(string target)
    {
        // A fixed seed and count make the run the same on every machine; the time cap only guards slow ones.
        long runs = MutationFuzzer.Run(Target(target), CorpusFiles.SeedsOf(target), seed: 5321, iterations: 30_000, TimeSpan.FromSeconds(10));
        Assert.True(runs > 0);
    }

    [Fact]
    public void Model_ends_data_only_at_crlf_dot_crlf()
    {
        // The model is the oracle for the reader, so it is pinned here on the smuggling variants by hand.
        byte[] wire = "a\n.\nb\r.\rc\n.\r\nd\r\n.\nf\r\n..g\r\n.\r\nNEXT"u8.ToArray();
        ContentModel model = ContentModel.Data(wire, Data.BareLineEndingMode.Normalize, 1000);
        Assert.Equal(wire.Length - "NEXT".Length, model.End);
        Assert.Equal("a\r\n.\r\nb\r\n.\r\nc\r\n.\r\nd\r\n\r\nf\r\n.g\r\n"u8.ToArray(), model.Content);
        Assert.True(model.SawBareLineEnding);
    }

    [Fact]
    public void Model_keeps_bdat_bytes_raw_and_judges_a_final_cr()
    {
        ContentModel model = ContentModel.Bdat("..\r\n.\r\n\r"u8, Data.BareLineEndingMode.Reject, 1000);
        Assert.Equal("..\r\n.\r\n"u8.ToArray(), model.Content);
        Assert.Equal(-1, model.End);
        Assert.True(model.SawBareLineEnding);
    }

    private static FuzzTarget Target(string name) =>
        FuzzTargets.Find(name) ?? throw new ArgumentException($"no fuzz target '{name}'", nameof(name));
}
