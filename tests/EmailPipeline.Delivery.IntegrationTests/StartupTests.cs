using System.Globalization;
using EmailPipeline.Delivery.IntegrationTests.Infrastructure;

namespace EmailPipeline.Delivery.IntegrationTests;

public sealed class StartupTests
{
    [Fact]
    public async Task Bad_configuration_stops_the_service_with_78_and_names_each_problem()
    {
        int http = FreePorts.Take(1)[0];
        await using ServiceProcess process = ServiceProcess.Start("Delivery", new Dictionary<string, string>
        {
            ["RABBITMQ_URL"] = "amqp://guest:guest@127.0.0.1:5672/",
            ["Delivery__HttpUrl"] = $"http://127.0.0.1:{http.ToString(CultureInfo.InvariantCulture)}",
            ["Delivery__Transports__0__Match"] = "bad*pattern",
            ["Delivery__Transports__1__Match"] = "lmtp.test",
            ["Delivery__Transports__1__Kind"] = "Lmtp",
            ["Delivery__Dns__Servers__0"] = "not-an-address",
        });

        Assert.True(await process.WaitForExitAsync(TimeSpan.FromSeconds(60)), process.Output);
        Assert.Equal(78, process.ExitCode);
        Assert.Contains("Delivery:Transports:0 (bad*pattern): Match", process.Output, StringComparison.Ordinal);
        Assert.Contains("Delivery:Transports:1 (lmtp.test): an Lmtp transport needs Host", process.Output, StringComparison.Ordinal);
        Assert.Contains("Delivery:Dns:Servers:0 'not-an-address'", process.Output, StringComparison.Ordinal);
    }
}
