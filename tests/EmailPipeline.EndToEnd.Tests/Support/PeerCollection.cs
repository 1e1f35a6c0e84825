namespace EmailPipeline.EndToEnd.Tests.Support;

/// <summary>The test classes that share one <see cref="PeerPipelineFixture"/> (one set of processes for all).</summary>
[CollectionDefinition(Name)]
public sealed class PeerCollection : ICollectionFixture<PeerPipelineFixture>
{
    public const string Name = "pipeline with peers";
}

public static class TestIds
{
    /// <summary>A short unique tag for the addresses of one test.</summary>
    public static string New() => Guid.NewGuid().ToString("N")[..8];
}
