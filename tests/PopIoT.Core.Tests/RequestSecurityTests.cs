using PopIoT.Core;
using Xunit;

namespace PopIoT.Core.Tests;

/// <summary>
/// A preallocated binding is reused from request to request: each Set names only what verified this request, so
/// nothing of an earlier request's protection (its DTLS session, its slot) survives into the next one.
/// </summary>
public sealed class RequestSecurityTests
{
    [Fact]
    public void An_oscore_binding_after_a_dtls_one_names_no_session_and_clear_forgets_everything()
    {
        var security = new RequestSecurity();
        Assert.Equal(-1, security.Session);

        security.SetDtls(3, 1, 7);
        Assert.Equal(RequestProtection.Dtls, security.Protection);
        Assert.Equal(7, security.Session);

        security.SetOscore(2, 5);
        Assert.Equal(RequestProtection.Oscore, security.Protection);
        Assert.Equal(-1, security.Session);
        Assert.Equal(2, security.Slot);

        var copy = new RequestSecurity();
        security.SetDtls(4, -1, 9);
        copy.CopyFrom(security);
        Assert.Equal(9, copy.Session);
        Assert.Equal(4, copy.Slot);

        security.Clear();
        Assert.False(security.IsProtected);
        Assert.Equal(-1, security.Session);
        Assert.Equal(-1, security.Slot);
    }
}
