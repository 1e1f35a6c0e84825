namespace EmailPipeline.Deploy.Tests;

/// <summary>The step deploy/Dockerfile runs for each image: `dotnet publish services/$SERVICE -c Release`.</summary>
public sealed class PublishTests(PublishedServices published)
{
    [Theory]
    [InlineData("Ingress")]
    [InlineData("Queue")]
    [InlineData("Delivery")]
    [InlineData("Policy")]
    public void Dotnet_publish_of_the_service_succeeds_and_yields_the_image_entry_point(string service)
    {
        PublishedService output = published.Get(service);
        output.AssertSucceeded();
        // The Dockerfile's ENTRYPOINT runs exactly this file.
        Assert.True(File.Exists(output.EntryPoint), $"{output.EntryPoint} missing");
        Assert.True(File.Exists(Path.Combine(output.Directory, $"EmailPipeline.{service}.runtimeconfig.json")));
        Assert.True(File.Exists(Path.Combine(output.Directory, "appsettings.json")));
    }

    [Fact]
    public void The_Policy_image_carries_its_Public_Suffix_List_next_to_the_entry_point()
    {
        PublishedService policy = published.Get("Policy");
        policy.AssertSucceeded();
        string list = Path.Combine(policy.Directory, "public_suffix_list.dat");
        Assert.True(File.Exists(list), $"{list} missing: Policy would exit 78 at start-up in the image");
        Assert.StartsWith("// This Source Code Form is subject to the terms of the Mozilla Public", File.ReadLines(list).First(), StringComparison.Ordinal);
    }
}
