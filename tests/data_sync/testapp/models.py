"""Models of the data-sync suite: the shapes the anchor's suite covers."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    category = models.ForeignKey(Category, models.PROTECT, related_name="products")
    name = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    data = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(null=True, blank=True)
    tags = models.ManyToManyField(Tag, blank=True)

    def __str__(self) -> str:
        return self.name


class CheapProduct(Product):
    class Meta:
        proxy = True


class Note(models.Model):
    """Cascades from a product; created only on the target in some tests."""

    product = models.ForeignKey(Product, models.CASCADE, related_name="notes")
    text = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.text


class Place(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.name


class Restaurant(Place):
    serves_pizza = models.BooleanField(default=False)


class Bar(Place):
    happy_hour = models.BooleanField(default=False)


class Pub(Place):
    """An MTI child without columns of its own."""


class Author(models.Model):
    """Author and Book reference each other: an FK cycle."""

    name = models.CharField(max_length=100)
    favourite = models.ForeignKey("Book", models.SET_NULL, null=True, related_name="+")

    def __str__(self) -> str:
        return self.name


class Book(models.Model):
    author = models.ForeignKey(Author, models.CASCADE, related_name="books")
    title = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.title


class Kind(models.Model):
    """A natural key of two fields, like ContentType."""

    app = models.CharField(max_length=50)
    name = models.CharField(max_length=50)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["app", "name"], name="kind_natural_key")]

    def __str__(self) -> str:
        return f"{self.app}.{self.name}"


class Thing(models.Model):
    kind = models.ForeignKey(Kind, models.CASCADE)
    label = models.CharField(max_length=50)

    class Meta:
        unique_together = [("kind", "label")]

    def __str__(self) -> str:
        return self.label


class Page(models.Model):
    """A tree copied with save_as_new."""

    parent = models.ForeignKey("self", models.CASCADE, null=True, related_name="children")
    title = models.CharField(max_length=100)
    related = models.ManyToManyField("self", blank=True, symmetrical=False)

    def __str__(self) -> str:
        return self.title


class Section(models.Model):
    page = models.ForeignKey(Page, models.CASCADE, related_name="sections")
    body = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.body


class Wide(models.Model):
    """A text pk, binary and array values, and more columns than one json_build_object takes."""

    code = models.CharField(max_length=20, primary_key=True)
    blob = models.BinaryField(null=True)
    words = ArrayField(models.CharField(max_length=20), default=list)
    text = models.TextField(default="")
    for _number in range(55):
        locals()[f"f{_number}"] = models.IntegerField(default=0)
    del _number

    def __str__(self) -> str:
        return self.code
