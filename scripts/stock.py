"""Shared by the scripts: stock a running server with vehicles through the admin API."""
import json, os, subprocess, tempfile, urllib.request, uuid

MAKES = [("Toyota", ["Hilux", "Corolla", "Land Cruiser Prado", "RAV4", "Vitz"]),
         ("Nissan", ["Navara", "X-Trail", "March"]), ("Honda", ["Fit", "CR-V"]),
         ("Ford", ["Ranger", "Everest"]), ("Mazda", ["Demio", "CX-5"]),
         ("Mitsubishi", ["Pajero", "L200"]), ("Isuzu", ["D-Max"]), ("Subaru", ["Forester"])]


def call(url, body=None, token=None, content_type="application/json", method=None):
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req) as res:
        return res.read()


def login(base, email, password):
    return json.loads(call(f"{base}/v1/auth/login", {"email": email, "password": password}))["token"]


def sample_photo_path():
    """A real camera photo if one is around (rust-embed ships one), else a generated one."""
    registry = os.path.expanduser("~/.cargo/registry/src")
    for root, _, files in os.walk(registry):
        if "flower.jpg" in files and "rust-embed" in root:
            return os.path.join(root, "flower.jpg")
    out = os.path.join(tempfile.mkdtemp(), "photo.jpg")
    subprocess.run(["vips", "gaussnoise", out, "1600", "1200"], check=True)
    return out


def multipart(field, filename, payload):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + payload + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def add_vehicles(base, token, count, with_photos):
    """Adds `count` varied vehicles; the last `with_photos` of them (the newest,
    shown first) get a photo. Returns how many photos were uploaded."""
    photo = open(sample_photo_path(), "rb").read()
    photos = 0
    for i in range(count):
        make, models = MAKES[i % len(MAKES)]
        model = models[i % len(models)]
        year = 2005 + i % 20
        v = json.loads(call(f"{base}/v1/admin/vehicles", {
            "make": make, "model": model, "year": year, "condition": ["used", "new", "refurbished"][i % 3],
            "price": None if i % 17 == 0 else 4_000_000 + (i * 137_000) % 60_000_000,
            "mileage": (i * 7919) % 250_000, "location": "Blantyre showroom",
            "status": ["available", "available", "available", "reserved", "sold"][i % 5],
            "features": ["Air conditioning", "Power steering", "ABS"],
            "description": f"{year} {make} {model} in good condition. Full service history available.",
        }, token))
        if i >= count - with_photos:
            body, ctype = multipart("image", "car.jpg", photo)
            call(f"{base}/v1/admin/vehicles/{v['id']}/images", body, token, ctype)
            photos += 1
    return photos
