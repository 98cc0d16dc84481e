"""Every write of the ID: codes, audit, sign-in, the educational profile. Keyword-only, typed, named
``<thing>_<verb>``; refusals raise an error whose ``str()`` is a Russian message fit for the person."""
