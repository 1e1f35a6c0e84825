namespace EmailPipeline.Smtp.Fuzz.Tests;

/// <summary>The seed and regression files copied next to the test assembly, as theory data.</summary>
internal static class CorpusFiles
{
    private static string Root => AppContext.BaseDirectory;

    public static TheoryData<string, string> Seeds() => Collect("corpus");

    public static TheoryData<string, string> Regressions() => Collect("regressions");

    public static byte[][] SeedsOf(string target) =>
        Directory.EnumerateFiles(Path.Combine(Root, "corpus", target))
            .Order(StringComparer.Ordinal)
            .Select(File.ReadAllBytes)
            .ToArray();

    public static byte[] Read(string folder, string target, string file) =>
        File.ReadAllBytes(Path.Combine(Root, folder, target, file));

    /// <summary>(target, file name) for every file under folder/&lt;target&gt;/; names keep the test list readable.</summary>
    private static TheoryData<string, string> Collect(string folder)
    {
        var data = new TheoryData<string, string>();
        foreach (FuzzTarget target in FuzzTargets.All)
        {
            string directory = Path.Combine(Root, folder, target.Name);
            if (!Directory.Exists(directory))
            {
                continue;
            }

            foreach (string file in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
            {
                data.Add(target.Name, Path.GetFileName(file));
            }
        }

        return data;
    }
}
