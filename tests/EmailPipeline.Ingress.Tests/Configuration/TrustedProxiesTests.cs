using System.ComponentModel.DataAnnotations;
using System.Net;
using EmailPipeline.Ingress.Configuration;

namespace EmailPipeline.Ingress.Tests.Configuration;

public sealed class TrustedProxiesTests
{
    [Fact]
    public void A_proxy_protocol_listener_without_trusted_proxies_does_not_start()
    {
        var options = new IngressOptions { HostName = "mx.example.test", Listeners = [new SmtpListenerOptions { Name = "mx", Port = 25, ProxyProtocol = true }] };
        string problems = string.Join("\n", options.Validate(new ValidationContext(options)).Select(r => r.ErrorMessage));
        Assert.Contains("Ingress:Listeners:0:ProxyProtocol is on but TrustedProxies is empty", problems, StringComparison.Ordinal);
    }

    [Fact]
    public void A_trusted_proxy_that_is_no_address_or_range_is_reported_with_its_key()
    {
        var options = new IngressOptions { HostName = "mx.example.test", Listeners = [new SmtpListenerOptions { Name = "mx", Port = 25, ProxyProtocol = true, TrustedProxies = ["10.0.0.0/8", "the-balancer"] }] };
        string problems = string.Join("\n", options.Validate(new ValidationContext(options)).Select(r => r.ErrorMessage));
        Assert.Equal("Ingress:Listeners:0:TrustedProxies 'the-balancer' is not an address or CIDR range.", problems);
    }

    [Theory]
    [InlineData("10.1.2.3", true)]
    [InlineData("::ffff:10.1.2.3", true)] // a dual-stack socket's view of an IPv4 peer
    [InlineData("192.0.2.7", true)]
    [InlineData("192.0.2.8", false)]
    [InlineData("11.0.0.1", false)]
    [InlineData("2001:db8::1", true)]
    [InlineData("2001:db9::1", false)]
    public void Only_peers_inside_the_trusted_ranges_may_send_a_proxy_header(string peer, bool trusted)
    {
        var listener = new SmtpListenerOptions { ProxyProtocol = true, TrustedProxies = ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"] };
        Assert.Equal(trusted, listener.TrustsProxy(IPAddress.Parse(peer)));
    }
}
