// Sends the authorization response to the client at once; without scripts the button does it.
document.getElementById("oidc-form-post").submit();
